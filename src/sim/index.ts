export { startSimulator } from './simulator.js';
export type { SimulatorOptions, RunningSimulator } from './simulator.js';
export { soilReading, deviceNames, deviceTopic } from './payload.js';
export type { SoilReading } from './payload.js';
export {
  DEVICE_CERTIFICATE_FILE,
  DEVICE_PRIVATE_KEY_FILE,
  ROOT_CA_FILE,
  DEVICE_FILES,
  readDeviceCredentials,
  writeDeviceCredentials,
} from './device-files.js';
export type { DeviceCredentials } from './device-files.js';
