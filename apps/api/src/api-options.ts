export const API_OPTIONS = Symbol.for('distillery.ApiOptions');
export interface ApiOptions {
  readonly maxPageSize: number;
}

export const IMPORTER = Symbol.for('distillery.Importer');
