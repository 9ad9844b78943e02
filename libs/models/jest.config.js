import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'models', rootDir: import.meta.dirname };
