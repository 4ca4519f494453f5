/**
 * How V8 should manage the exporter's heap, set once at process start (the CLI does it).
 *
 * Allocation-site pretenuring is off. V8 moves an allocation site's objects straight to the old
 * generation once enough of them survive a young collection. Decoded points do survive one: a
 * request's points wait for its journal flush, and a restore holds whole batches. Once a site is
 * pretenured, every point lands in the old generation while its fresh strings and numbers are
 * young: each young collection must then trace them from the dead points and promote them (about
 * 48 bytes per point), and the old generation fills with garbage. `npm run bench -- heap`
 * measures young collections under steady ingest with and without it.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeap(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
