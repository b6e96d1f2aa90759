export {
  SmtpNotifier,
  type SmtpMessage,
  type SmtpSendResult,
  type RejectedRecipient,
  type SmtpNotifierOptions,
} from './notifier.js';
export { SmtpErrorCode, classifySmtpError, classifySmtpReplyCode, type SmtpTarget } from './classify.js';
export { OAuth2TokenProvider, type AccessTokenSource, type OAuth2TokenProviderOptions } from './oauth2.js';
