// The reference device agent: consumes commands, applies them to simulated assets, acks, reports;
// over Kafka (startDeviceAgent) or in process for the embedded default (startInProcessDevices).
export {
  startDeviceAgent,
  type AgentState,
  type DeviceAgent,
  type DeviceAgentOptions,
  type InitialAsset,
  type ReceivedCommand,
} from './agent.js';
export {
  startInProcessDevices,
  type InProcessDevice,
  type InProcessDevices,
  type InProcessDevicesOptions,
} from './in-process.js';
export {
  defaultRefuseReason,
  defaultSlowDelayMs,
  everyAsset,
  failureModes,
  parseModeArg,
  parseModeList,
  type FailureMode,
  type ModeSetting,
  type ModeSpec,
} from './modes.js';
export {
  ackMessage,
  acksTopic,
  checkCommand,
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
