// Public surface of the Clever Cloud client. Nothing here may import Kubernetes code.
export {
  CleverClient,
  DEFAULT_API_URL,
  DEFAULT_BRIDGE_URL,
  type CleverClientOptions,
  type CreateAddonRequest,
  type CreateMigrationRequest,
  type DatabaseProviderId,
  type OperatorKind,
} from './client.ts';
export {
  DEFAULT_CONSUMER_KEY,
  DEFAULT_CONSUMER_SECRET,
  createSigner,
  validateCredentials,
  type CleverCredentials,
  type RequestSigner,
  type SignerOptions,
} from './auth.ts';
export {
  CleverApiError,
  ForbiddenError,
  InvalidCredentialsError,
  NotFoundError,
  OutcomeUnknownError,
  ResponseShapeError,
  RetryableError,
  TerminalError,
  UnauthorizedError,
  type CleverErrorContext,
} from './errors.ts';
export { MAX_RETRY_AFTER_MS, parseRetryAfter } from './http.ts';
export { ROUTES, type RouteDef } from './routes.ts';
export type {
  Addon,
  AddonProvider,
  Backup,
  DatabaseInfo,
  EnvVar,
  Instance,
  MateriaKv,
  Migration,
  OperatorInfo,
  Organisation,
  Plan,
  ProviderInfo,
  Pulsar,
  PulsarCluster,
  Self,
  Summary,
  Zone,
} from './schemas.ts';
export { CatalogueCache, describePlans, findPlan, type CatalogueCacheOptions } from './catalogue.ts';
