import type { ApiFailure } from '../api';

/** The contract's message for a failure, with the fields it names. */
export function ErrorText({ error }: { error: ApiFailure | null }) {
  if (error === null) return null;
  return (
    <div class="error" role="alert">
      {error.message}
      {error.details.length > 1 && (
        <ul>
          {error.details.map((detail) => (
            <li>
              <code>{detail.field}</code> {detail.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
