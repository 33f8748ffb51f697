export { startSimulator } from './simulator.js';
export type { SimulatorOptions, RunningSimulator } from './simulator.js';
export { soilReading, deviceNames, deviceTopic } from './payload.js';
export type { SoilReading } from './payload.js';
