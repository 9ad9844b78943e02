import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'mappers', rootDir: import.meta.dirname };
