import { GGUF_FILE_TYPES, type GgufFileType } from '@distillery/gguf';
import { ExportQuantizationError, ExportRequestError } from './errors.js';

export const EXPORT_FORMATS = ['hf', 'peft', 'onnx', 'gguf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The weight types a bundle can hold: f32 for hf / peft / onnx, and the GGUF file types libs/gguf writes. */
export const QUANTIZATIONS = ['f32', 'f16', 'q8_0', 'q4_0', 'q4_k_m'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** The quantized GGUF types: checked teacher-forced against the trained model, not by identical greedy outputs. */
export const isQuantized = (q: Quantization): boolean => q === 'q8_0' || q === 'q4_0' || q === 'q4_k_m';

export const ggufFileType = (q: Quantization): GgufFileType => {
  const t = q.toUpperCase() as GgufFileType;
  if (!(GGUF_FILE_TYPES as readonly string[]).includes(t)) throw new ExportQuantizationError(q, `no GGUF file type for ${q}`);
  return t;
};

export interface ExportTarget {
  readonly format: ExportFormat;
  /** The weights' type in the bundle. */
  readonly quantization: Quantization;
}

/**
 * The format and quantization of a request. `quantization` applies to gguf only (default f16); asking it of another
 * format, or a type libs/gguf does not write (K-quants other than Q4_K_M, bf16), is refused before any work.
 */
export function exportTarget(format: string, quantization: string | undefined): ExportTarget {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ExportRequestError(`unknown export format '${format}': expected one of ${EXPORT_FORMATS.join(', ')}`);
  const f = format as ExportFormat;
  if (f !== 'gguf') {
    if (quantization !== undefined) throw new ExportQuantizationError(quantization, `quantization applies to gguf exports only; a ${f} export holds f32 weights`);
    return { format: f, quantization: 'f32' };
  }
  const q = (quantization ?? 'f16').toLowerCase();
  if (!(QUANTIZATIONS as readonly string[]).includes(q)) throw new ExportQuantizationError(quantization ?? q, `quantization '${quantization}' is not supported: expected one of ${QUANTIZATIONS.join(', ')} (other K-quants, such as q5_k_m, are not written by libs/gguf)`);
  return { format: f, quantization: q as Quantization };
}
