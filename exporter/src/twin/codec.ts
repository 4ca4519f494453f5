/**
 * One asset as bytes: how a checkpoint stores the assets that changed. Binary rather than JSON
 * because a checkpoint of a large fleet encodes assets on the event loop (in slices) and a restart
 * decodes them all: this is several times cheaper in time and bytes. Decoding yields the same
 * `AssetSnapshot` a JSON snapshot holds (non-finite numbers included), so one restore path
 * (`restoreAsset`) serves both.
 */
import { ByteReader, ByteWriter, CorruptRecordError } from '../bytes.js';
import type { PropertyValue } from '../model.js';
import {
  AssetRestore,
  encodeValue,
  type AssetHead,
  type AssetSnapshot,
  type PendingSnapshot,
  type PropertySnapshot,
} from './snapshot.js';
import { readHistory, type HistoryStore } from './history.js';
import type { AssetState, PropertyState, Side, TwinState } from './state.js';

const FORMAT = 1;

// Asset flags.
const STALE = 1;
const DIVERGED = 2;
const DARK = 4;
const SITE = 8;
const VERSIONS = 16;
// Property flags.
const PHYSICAL = 1;
const TWIN = 2;
const DIFFERS = 4;
const GRACE = 8;
const HISTORY = 16;
const PENDING = 32;
// Version fields present.
const DESIRED = 1;
const DESIRED_TIME = 2;
const REPORTED = 4;
const REPORTED_TIME = 8;
function writeObservation(out: ByteWriter, prop: PropertyState, side: Side): void {
  out.value(prop[side] as PropertyValue);
  out.f64(prop.sourceTimeMs(side));
  out.f64(prop.receivedMs(side));
}

/** Appends one asset to `out` (many assets may share one writer: the caller keeps the offsets). */
export function encodeAsset(out: ByteWriter, asset: AssetState, history: HistoryStore): void {
  out.u8(FORMAT);
  out.string(asset.id);
  out.string(asset.cls.name);
  const versions = asset.versions;
  out.u8(
    (asset.stale ? STALE : 0) |
      (asset.diverged ? DIVERGED : 0) |
      (asset.dark ? DARK : 0) |
      (asset.site !== undefined ? SITE : 0) |
      (versions ? VERSIONS : 0),
  );
  if (asset.site !== undefined) out.string(asset.site);
  out.f64(asset.lastSeenMs);
  out.f64(asset.admitSeq);
  out.f64(asset.touchSeq);
  // Properties evicted from the quarantine and not dropped yet are not part of the asset.
  out.varuint(asset.liveProperties());
  for (const prop of asset.props) {
    if (prop.spec.evicted) continue;
    out.string(prop.spec.name);
    const differs = prop.differsSinceMs;
    const graceFrom = prop.graceFromMs;
    out.u8(
      (prop.physical !== undefined ? PHYSICAL : 0) |
        (prop.twin !== undefined ? TWIN : 0) |
        (differs !== undefined ? DIFFERS : 0) |
        (graceFrom !== undefined ? GRACE : 0) |
        (prop.historyRing >= 0 ? HISTORY : 0) |
        (prop.pending ? PENDING : 0),
    );
    if (prop.physical !== undefined) writeObservation(out, prop, 'physical');
    if (prop.twin !== undefined) writeObservation(out, prop, 'twin');
    if (differs !== undefined) out.f64(differs);
    if (graceFrom !== undefined) out.f64(graceFrom);
    if (prop.historyRing >= 0) history.encode(prop.historyRing, out);
    if (prop.pending) {
      out.varuint(prop.pending.length);
      for (const p of prop.pending) {
        out.string(p.series.model.name);
        out.string(p.series.model.version);
        out.value(p.value);
        out.f64(p.targetTimeMs);
        out.f64(p.sourceTimeMs);
      }
    }
  }
  if (versions) {
    const { desiredVersion, desiredTimeMs, reportedVersion, reportedTimeMs } = versions;
    out.u8(
      (desiredVersion !== undefined ? DESIRED : 0) |
        (desiredTimeMs !== undefined ? DESIRED_TIME : 0) |
        (reportedVersion !== undefined ? REPORTED : 0) |
        (reportedTimeMs !== undefined ? REPORTED_TIME : 0),
    );
    if (desiredVersion !== undefined) out.f64(desiredVersion);
    if (desiredTimeMs !== undefined) out.f64(desiredTimeMs);
    if (reportedVersion !== undefined) out.f64(reportedVersion);
    if (reportedTimeMs !== undefined) out.f64(reportedTimeMs);
    out.varuint(versions.unconverged.length);
    for (const change of versions.unconverged) {
      out.f64(change.version);
      out.f64(change.sinceMs);
    }
  }
}

/**
 * What reading an asset's bytes drives: a state restored (AssetRestore itself), or a snapshot
 * built. The same methods, so the two never drift apart.
 */
type AssetVisitor<T> = Pick<
  AssetRestore,
  'property' | 'observation' | 'difference' | 'historyEntry' | 'pendingPrediction' | 'versions'
> & { finish(): T };

/** Reads the bytes `encodeAsset` wrote into a visitor. Throws CorruptRecordError otherwise. */
function readAsset<T>(bytes: Uint8Array, start: (head: AssetHead) => AssetVisitor<T>): T {
  const input = new ByteReader(bytes);
  const format = input.u8();
  if (format !== FORMAT) throw new CorruptRecordError(`unknown asset format ${format}`);
  const id = input.string();
  const assetClass = input.string();
  const flags = input.u8();
  const head: AssetHead = {
    id,
    assetClass,
    lastSeenMs: 0,
    stale: (flags & STALE) !== 0,
    diverged: (flags & DIVERGED) !== 0,
    dark: (flags & DARK) !== 0,
  };
  if (flags & SITE) head.site = input.string();
  head.lastSeenMs = input.f64();
  head.admitSeq = input.f64();
  head.touchSeq = input.f64();
  const visitor = start(head);
  const propertyCount = input.varuint();
  for (let i = 0; i < propertyCount; i++) {
    visitor.property(input.string());
    const pflags = input.u8();
    if (pflags & PHYSICAL) {
      visitor.observation('physical', input.value(), input.f64(), input.f64());
    }
    if (pflags & TWIN) visitor.observation('twin', input.value(), input.f64(), input.f64());
    const differs = pflags & DIFFERS ? input.f64() : undefined;
    const graceFrom = pflags & GRACE ? input.f64() : undefined;
    visitor.difference(differs, graceFrom);
    if (pflags & HISTORY) {
      readHistory(input, (source, sourceTimeMs, value) =>
        visitor.historyEntry(source, sourceTimeMs, value),
      );
    }
    if (pflags & PENDING) {
      const n = input.varuint();
      for (let k = 0; k < n; k++) {
        visitor.pendingPrediction(
          input.string(),
          input.string(),
          input.value(),
          input.f64(),
          input.f64(),
        );
      }
    }
  }
  if (flags & VERSIONS) {
    const vflags = input.u8();
    const versions: NonNullable<AssetSnapshot['versions']> = { unconverged: [] };
    if (vflags & DESIRED) versions.desiredVersion = input.f64();
    if (vflags & DESIRED_TIME) versions.desiredTimeMs = input.f64();
    if (vflags & REPORTED) versions.reportedVersion = input.f64();
    if (vflags & REPORTED_TIME) versions.reportedTimeMs = input.f64();
    const n = input.varuint();
    for (let k = 0; k < n; k++)
      versions.unconverged.push({ version: input.f64(), sinceMs: input.f64() });
    visitor.versions(versions);
  }
  if (!input.done) throw new CorruptRecordError(`asset ${JSON.stringify(id)} has trailing bytes`);
  return visitor.finish();
}

/**
 * Restores the asset `encodeAsset` wrote straight into a state being restored (a restart reads
 * every checkpointed asset: no snapshot object in between). Undefined when it cannot be held.
 */
export function restoreEncodedAsset(state: TwinState, bytes: Uint8Array): AssetState | undefined {
  return readAsset(bytes, (head) => new AssetRestore(state, head));
}

/** The asset `encodeAsset` wrote, as the snapshot a JSON snapshot holds. */
export function decodeAsset(bytes: Uint8Array): AssetSnapshot {
  return readAsset(bytes, (head) => {
    const asset: AssetSnapshot = { ...head, properties: [] };
    let prop: PropertySnapshot = { name: '' };
    return {
      property(name) {
        prop = { name };
        asset.properties.push(prop);
        return true;
      },
      observation(side, value, sourceTimeMs, receivedMs) {
        prop[side] = { value: encodeValue(value), sourceTimeMs, receivedMs };
      },
      difference(differsSinceMs, graceFromMs) {
        if (differsSinceMs !== undefined) prop.differsSinceMs = differsSinceMs;
        if (graceFromMs !== undefined) prop.graceFromMs = graceFromMs;
      },
      historyEntry(source, sourceTimeMs, value) {
        (prop.history ??= []).push([source, sourceTimeMs, encodeValue(value)]);
      },
      pendingPrediction(model, version, value, targetTimeMs, sourceTimeMs) {
        const pending: PendingSnapshot = {
          model,
          version,
          value: encodeValue(value),
          targetTimeMs,
          sourceTimeMs,
        };
        (prop.pending ??= []).push(pending);
      },
      versions(versions) {
        asset.versions = versions;
      },
      finish: () => asset,
    };
  });
}
