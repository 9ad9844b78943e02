import { Controller, Get, Inject } from '@nestjs/common';
import { API_OPTIONS, type ApiOptions } from './api-options.js';
import { openApiDocument } from './openapi.js';

@Controller('api')
export class MetaController {
  private readonly doc: ReturnType<typeof openApiDocument>;

  constructor(@Inject(API_OPTIONS) options: ApiOptions) {
    this.doc = openApiDocument(options.maxPageSize);
  }

  @Get('openapi.json')
  openapi() {
    return this.doc;
  }
}
