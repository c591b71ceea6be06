import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { Toasts } from "@/components/toasts";

export const metadata: Metadata = {
  title: "SomaAgent",
  description: "Realtime, speech-first AI agents",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {children}
        <Toasts />
      </body>
    </html>
  );
}
