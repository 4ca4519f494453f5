import React from 'react';
import { Alert } from '@grafana/ui';
import { ApiError } from '../../api/client';

/** An error as the operator should read it: the exporter's own message and reason code. */
export function describeError(error: unknown): { message: string; code?: string; status?: number } {
  if (error instanceof ApiError) {
    return { message: error.message, code: error.code, status: error.status };
  }
  if (error instanceof Error) {
    return { message: error.message };
  }
  return { message: String(error) };
}

export function ErrorAlert({ title, error }: { title: string; error: unknown }) {
  const { message, code, status } = describeError(error);
  return (
    <Alert title={title} severity="error">
      {message}
      {code ? ` (${code})` : ''}
      {status === 404 && !code ? ' — is the exporter URL right, and are commands enabled on it?' : ''}
    </Alert>
  );
}
