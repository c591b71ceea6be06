// True once React has hydrated the page in the browser; false during server rendering and before
// hydration. Forms use it to stay disabled until their handlers are attached, so an early click
// can neither submit natively (putting fields in the URL) nor lose what was typed.
import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
