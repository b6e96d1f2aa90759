import { DeliveryError } from '../../commons/index.js';
import type { SmtpConfig } from '../../config/index.js';
import { SmtpNotifier } from '../../integrations/index.js';
import type { DeliveryHandler } from '../engine/engine.js';

/** The store-and-forward target of every notification: the project's SMTP server. */
export const NOTIFICATION_TARGET = 'smtp';

/**
 * What a notification keeps in the buffer: the list's recipients as they
 * were when the script sent it (a later change of the list does not change
 * who an accepted notification goes to), the subject and the text.
 */
export interface NotificationRequest {
  readonly list: string;
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly body: string;
}

/** The notifier of the project's SMTP settings (one connection pool per site); created on first use. */
export class Notifications {
  #notifier: SmtpNotifier | undefined;

  constructor(private readonly settings: () => SmtpConfig | undefined) {}

  notifier(): SmtpNotifier {
    if (this.#notifier !== undefined) return this.#notifier;
    const s = this.settings();
    if (s === undefined) {
      throw new DeliveryError('NOTIFICATIONS_NOT_CONFIGURED', 'the project has no smtp settings', 'permanent');
    }
    this.#notifier = new SmtpNotifier(s);
    return this.#notifier;
  }

  async close(): Promise<void> {
    await this.#notifier?.close();
    this.#notifier = undefined;
  }
}

/**
 * Delivers `Notification` operations: one e-mail per Send, every recipient in
 * BCC, the from address in To, plain text (DESIGN §3.1). SMTP failures come
 * classified from the notifier: connection, timeout, TLS and 4xx transient;
 * 5xx permanent.
 */
export function notificationHandler(notifications: Notifications): DeliveryHandler {
  return async (ctx) => {
    const req = ctx.request as NotificationRequest;
    await notifications.notifier().send({ subject: req.subject, body: req.body, recipients: req.recipients });
    return {};
  };
}
