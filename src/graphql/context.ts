import type { Logger } from '../logger';
import type { Services } from '../services';

/** Everything a resolver may use, built once per request (HTTP) or per operation (WebSocket). */
export interface GraphQLContext {
  readonly requestId: string;
  readonly logger: Logger;
  readonly services: Services;
}
