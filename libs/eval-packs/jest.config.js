import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'eval-packs', rootDir: import.meta.dirname };
