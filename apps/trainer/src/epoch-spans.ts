import { context, trace, type Context, type Span } from '@opentelemetry/api';
import { distilleryMetrics } from '@distillery/telemetry';

interface Progress {
  readonly step: number;
  readonly loss: number;
  readonly tokens_per_s: number;
  /** Fractional epochs done (step / steps per epoch). */
  readonly epoch: number;
}

/**
 * Turns the trainer's progress reports into one `stage.train.epoch` span per epoch (attributes epoch, steps, tokens,
 * loss), children of the span active when the tracker is made (the `stage.train` span), and records the training
 * gauges (tokens/s, loss) and the tokens counter for the run.
 */
export class EpochSpans {
  private readonly parent: Context = context.active();
  private current?: { epoch: number; span: Span; firstStep: number; tokens: number; loss: number; steps: number };
  private lastAt = Date.now();
  private lastStep = 0;

  constructor(private readonly labels: { run: string; method: string }) {}

  progress(p: Progress): void {
    const now = Date.now();
    const epoch = Math.max(1, Math.ceil(p.epoch - 1e-9));
    const tokens = Math.max(0, p.tokens_per_s * ((now - this.lastAt) / 1000));
    if (this.current && this.current.epoch !== epoch) this.end(this.lastAt);
    if (!this.current) {
      const span = trace.getTracer('distillery.stage').startSpan('stage.train.epoch', { startTime: this.lastAt, attributes: { epoch } }, this.parent);
      this.current = { epoch, span, firstStep: this.lastStep, tokens: 0, loss: p.loss, steps: 0 };
    }
    this.current.tokens += tokens;
    this.current.loss = p.loss;
    this.current.steps = p.step - this.current.firstStep;
    const m = distilleryMetrics();
    m.trainingTokensPerSecond.record(p.tokens_per_s, this.labels);
    m.trainingLoss.record(p.loss, this.labels);
    m.trainingTokens.add(Math.round(tokens), this.labels);
    this.lastAt = now;
    this.lastStep = p.step;
  }

  /** Ends the open epoch span (at the last report, or `at`). */
  end(at: number = this.lastAt): void {
    const c = this.current;
    if (!c) return;
    c.span.setAttributes({ steps: c.steps, tokens: Math.round(c.tokens), loss: c.loss });
    c.span.end(at);
    this.current = undefined;
  }
}
