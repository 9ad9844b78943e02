import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'timeline', rootDir: import.meta.dirname };
