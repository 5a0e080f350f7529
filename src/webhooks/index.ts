export {
  WebhookDispatcher,
  DEFAULT_RETRY,
  backoffMs,
  type DispatcherOptions,
  type RetryPolicy,
} from './dispatcher.js';
export { generateSecret, signedHeaders, validateSecret } from './signing.js';
export {
  addWebhook,
  ensureConfiguredWebhooks,
  listDeliveries,
  listWebhooks,
  redeliver,
  removeWebhook,
  toView,
  type WebhookInput,
  type WebhookView,
} from './subscriptions.js';
