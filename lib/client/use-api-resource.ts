"use client";
// Loading a page's data from the API, written once: the data (null while loading), a readable error,
// and reload; a 401 (signed out, or the sign-in was revoked) goes to the sign-in page instead.
import { useCallback, useEffect, useState } from "react";
import { api, ApiError } from "./api";

/** The message a page shows for a failed load; null (and off to /login) when signed out. */
export function loadFailure(err: unknown): string | null {
  if (err instanceof ApiError && err.status === 401) {
    window.location.assign("/login");
    return null;
  }
  return (err as Error).message;
}

export function useApiResource<T>(path: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await api<T>(path));
      setError(null);
    } catch (err) {
      setError(loadFailure(err));
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload, setData };
}
