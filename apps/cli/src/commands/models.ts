import { join, resolve } from 'node:path';
import { makeTinyModel, type MadeTiny } from '@distillery/app-trainer';
import { tinyModelDir } from '@distillery/app-training';
import { EXAMPLES_ROOT } from './demo.js';
import type { CliConfig } from '../config.js';
import { color, formatDuration, ProgressBar } from '../render.js';

const say = (m: string) => process.stderr.write(`${m}\n`);

/** The bundled public-domain book make-tiny learns from. */
export const TINY_CORPUS = (): string => join(EXAMPLES_ROOT(), 'corpora', 'gutenberg-alice', 'pg11.txt');

export async function makeTiny(config: Pick<CliConfig, 'DISTILLERY_DATA_DIR'>, o: { out?: string; steps?: number; seed?: number; force?: boolean; quiet?: boolean }): Promise<MadeTiny> {
  const out = o.out ? resolve(o.out) : tinyModelDir(config.DISTILLERY_DATA_DIR);
  const bar = o.quiet ? undefined : new ProgressBar('make-tiny');
  try {
    return await makeTinyModel({
      corpusPath: TINY_CORPUS(),
      outDir: out,
      ...(o.steps ? { steps: o.steps } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.force ? { force: true } : {}),
      onProgress: (p) => {
        if (p.step % 10 === 0 || p.step === p.total) bar?.update(p.step, p.total, `loss ${p.loss.toFixed(3)}`);
      },
    });
  } finally {
    bar?.done();
  }
}

export async function makeTinyCommand(config: CliConfig, o: { out?: string; steps: number; seed: number; force: boolean }): Promise<number> {
  const m = await makeTiny(config, o);
  say(
    `${color.green(m.cached ? 'tiny model (cached)' : 'tiny model made')}: ${m.dir} — ${m.parameters.toLocaleString('en-US')} parameters, vocab ${m.vocab}, ${m.steps} pre-training steps, loss ${m.first_loss.toFixed(3)} → ${m.final_loss.toFixed(3)} in ${formatDuration(Math.round(m.seconds * 1000))}`,
  );
  return 0;
}
