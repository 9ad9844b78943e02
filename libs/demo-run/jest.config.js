import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'demo-run', rootDir: import.meta.dirname };
