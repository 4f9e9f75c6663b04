// The answer of <kind>s/check_connection, in words.

export interface CheckResult {
  status: 'succeeded' | 'failed';
  message?: string;
}

export function CheckResultBox({ check }: { check: CheckResult | null }) {
  if (!check) return null;
  return (
    <div className={`check ${check.status}`} role="status" data-check={check.status}>
      {check.status === 'succeeded' ? (
        <p>
          <span aria-hidden="true">✅ </span>The connection test succeeded.
        </p>
      ) : (
        <p>
          <span aria-hidden="true">❌ </span>The connection test failed: {check.message ?? 'no reason given'}
        </p>
      )}
    </div>
  );
}
