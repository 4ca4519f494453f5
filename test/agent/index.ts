// The reference device agent: consumes commands, applies them to simulated assets, acks, reports.
export {
  startDeviceAgent,
  type AgentState,
  type DeviceAgent,
  type DeviceAgentOptions,
  type InitialAsset,
  type ReceivedCommand,
} from './agent.js';
export {
  defaultRefuseReason,
  defaultSlowDelayMs,
  everyAsset,
  failureModes,
  parseModeArg,
  type FailureMode,
  type ModeSetting,
  type ModeSpec,
} from './modes.js';
export {
  ackMessage,
  acksTopic,
  commandIdHeader,
  commandMessage,
  commandsTopic,
  headersOf,
  readCommand,
  traceparentHeader,
  type CommandAck,
  type CommandMessage,
  type PropertyValue,
} from './protocol.js';
