import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'projection-runtime', rootDir: import.meta.dirname };
