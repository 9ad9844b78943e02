import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'recipes', rootDir: import.meta.dirname };
