import { Controller, Get, Inject, Param } from '@nestjs/common';
import type { DatabaseHandle } from '@distillery/db';
import { emptyJournal, journalView, readJournal } from '@distillery/lab-journal';
import { DATABASE } from '@distillery/platform-nest';
import { projectParams } from './imports.dto.js';
import { parseRequest } from './validation.js';

/** The lab journal (the `lab_journal` projection): XP, levels and achievements of a project, from its events. */
@Controller('api/projects/:projectId/journal')
export class JournalController {
  constructor(@Inject(DATABASE) private readonly db: DatabaseHandle) {}

  /** Level, progress, per-user XP, every achievement (unlocked: when, by whom, which event), the newest XP entries. */
  @Get()
  async journal(@Param() params: unknown) {
    const { projectId } = parseRequest(projectParams, params, 'path');
    return journalView((await readJournal(this.db.db, projectId)) ?? emptyJournal(projectId));
  }
}
