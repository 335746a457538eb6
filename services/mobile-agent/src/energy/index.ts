export { POWER_PROFILES, profileComputeMw, requestEnergyMj } from './energy-model.js';
export { JetsonPower, findPowerRails } from './jetson-power.js';
