/**
 * The state of a researcher's token for one service, as the chip on Services & tokens and the hint on
 * New job show it: missing, active, expiring soon (within 14 days), expired or rejected by the service.
 */
export type TokenStateKind = 'missing' | 'active' | 'expiring' | 'expired' | 'rejected';

export interface TokenState {
  kind: TokenStateKind;
  label: string;
  /** What the researcher should do, or '' when nothing. */
  advice: string;
  /** Whether jobs can be created with it. */
  usable: boolean;
}

export const EXPIRY_WARNING_DAYS = 14;

export interface CredentialState {
  status: 'missing' | 'active' | 'expired' | 'rejected';
  daysToExpiry: number | null;
}

export function tokenState(credential: CredentialState): TokenState {
  switch (credential.status) {
    case 'missing':
      return { kind: 'missing', label: 'No token', advice: 'Store a token to run jobs here.', usable: false };
    case 'expired':
      return { kind: 'expired', label: 'Expired', advice: 'Store a new token.', usable: false };
    case 'rejected':
      return {
        kind: 'rejected',
        label: 'Rejected by the service',
        advice: 'The service refused this token (revoked or replaced): store a new one.',
        usable: false,
      };
    case 'active': {
      const days = credential.daysToExpiry;
      if (days !== null && days < 0) {
        return { kind: 'expired', label: 'Expired', advice: 'Store a new token.', usable: false };
      }
      if (days !== null && days <= EXPIRY_WARNING_DAYS) {
        const label = days === 0 ? 'Expires today' : `Expires in ${days} ${days === 1 ? 'day' : 'days'}`;
        return { kind: 'expiring', label, advice: 'Replace it soon with a new token.', usable: true };
      }
      return { kind: 'active', label: 'Active', advice: '', usable: true };
    }
  }
}
