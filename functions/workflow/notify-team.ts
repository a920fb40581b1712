// Placeholder replaced by the real handler in the same issue.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented yet');
};
