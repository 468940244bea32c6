// A failure the author can fix (bad arguments, an empty folder, an unreadable registry): printed plainly, exit code 1.
export class UserError extends Error {
  override readonly name = 'UserError';
}
