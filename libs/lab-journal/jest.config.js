import { preset } from '../../jest.preset.js';

export default { ...preset, displayName: 'lab-journal', rootDir: import.meta.dirname };
