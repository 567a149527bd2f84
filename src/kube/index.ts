// The kube runtime's public surface. It knows nothing of Clever Cloud: reconcilers plug in through `Reconciler`.
export {
  KubeClient,
  type KubeClientOptions,
  type QueryValue,
  type RequestOptions,
  type ResolvedKind,
} from './client.ts';
export {
  apiStatus,
  apiStatusCode,
  ConflictError,
  describeError,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
} from './errors.ts';
export * from './types.ts';
export { restListWatcher, type ListPage, type ListWatcher, type Selectors } from './listwatch.ts';
export { Informer, type InformerOptions, type InformerStats } from './informer.ts';
export { DEFAULT_QUEUE_BACKOFF, WorkQueue, type WorkQueueOptions } from './workqueue.ts';
export {
  runWorkers,
  type ReconcileContext,
  type ReconcileOutcome,
  type ReconcileResult,
  type Reconciler,
  type RunWorkersOptions,
} from './controller.ts';
export {
  controllerMetrics,
  leaderElectionGauge,
  registerInformerMetrics,
  workqueueMetrics,
  type ControllerMetrics,
  type WorkqueueMetrics,
} from './metrics.ts';
export {
  decideLease,
  LeaderElector,
  microTime,
  nextLeaseSpec,
  releasedLeaseSpec,
  type Lease,
  type LeaseDecision,
  type LeaseSpec,
  type LeaderElectorOptions,
} from './leader.ts';
export { applyObject, applyStatus, type ApplyOptions } from './apply.ts';
export {
  deleteObject,
  ensureFinalizer,
  getObject,
  hasFinalizer,
  jsonPatch,
  mergePatch,
  objectPath,
  refOf,
  removeFinalizer,
  updateWithResourceVersion,
  type JsonPatchOp,
  type KubeConfigOrClient,
  type ObjectRef,
} from './objects.ts';
export {
  EventCorrelator,
  EventRecorder,
  eventTimestamp,
  truncateMessage,
  type CoreEvent,
  type EventRecorderOptions,
  type EventType,
} from './events.ts';
export {
  gracefulShutdown,
  onShutdownSignal,
  type Drainable,
  type ShutdownParts,
  type ShutdownResult,
  type SignalSource,
  type Stoppable,
} from './shutdown.ts';
