// Errors of the model and its manifest. ModelError is a configuration problem (exit 78):
// the message names the file, the tensor and both shapes where there are shapes.
export class ModelError extends Error {
  override name = 'ModelError'
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}

export const DOCS_HINT = 'see docs/models.md (bring your own model)'
