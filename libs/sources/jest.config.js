import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'sources', rootDir: import.meta.dirname };
