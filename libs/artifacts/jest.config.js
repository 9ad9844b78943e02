import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'artifacts', rootDir: import.meta.dirname };
