import { DeliveryError } from '../../commons/index.js';
import type { SmtpConfig } from '../../config/index.js';
import { type RejectedRecipient, SmtpErrorCode, SmtpNotifier } from '../../integrations/index.js';
import type { DeliveryHandler, PartialDelivery } from '../engine/engine.js';

// Refused recipients named in LastError (the event log's details carry up to MAX_LISTED).
const MAX_NAMED = 10;
const MAX_LISTED = 100;

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
    const sent = await notifications.notifier().send({ subject: req.subject, body: req.body, recipients: req.recipients });
    return sent.rejected.length === 0 ? {} : { partial: partialDelivery(sent.rejected, req.recipients.length) };
  };
}

/**
 * Some recipients refused, the others reached: the operation stays Delivered
 * (retrying would send the e-mail again to those who got it), and the refused
 * ones are named with the server's reply (docs/notifications.md).
 */
function partialDelivery(rejected: readonly RejectedRecipient[], total: number): PartialDelivery {
  const named = rejected.slice(0, MAX_NAMED).map((r) => `${r.recipient} (${r.reply})`);
  const more = rejected.length > MAX_NAMED ? ` and ${rejected.length - MAX_NAMED} more` : '';
  return {
    code: SmtpErrorCode.RecipientsRejected,
    message: `the SMTP server refused ${rejected.length} of ${total} recipients, the others were sent the e-mail: ${named.join('; ')}${more}`,
    details: { rejectedCount: rejected.length, recipientCount: total, rejected: rejected.slice(0, MAX_LISTED) },
  };
}
