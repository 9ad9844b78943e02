import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'eventlog', rootDir: import.meta.dirname };
