import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'demo-worker', rootDir: import.meta.dirname };
