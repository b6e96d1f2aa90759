// Microsoft 365's OAuth2 defaults for SMTP (client-credentials grant; DESIGN §8).

/** The scope of an Exchange Online SMTP token. */
export const MICROSOFT_365_SMTP_SCOPE = 'https://outlook.office365.com/.default';

/** The Microsoft identity platform's token endpoint of a tenant. */
export function microsoft365TokenEndpoint(tenantId: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}
