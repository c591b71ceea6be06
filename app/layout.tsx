import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { Toasts } from "@/components/toasts";
import { MaintenanceBanner } from "@/components/maintenance-banner";
import { maintenanceAtPageLoad } from "@/lib/maintenance/page-state";

// Every page renders per request: its inline scripts must carry that response's CSP nonce
// (lib/http/security-headers.ts), which a page prerendered at build time could not know.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "SomaAgent",
  description: "Realtime, speech-first AI agents",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const maintenance = await maintenanceAtPageLoad();
  return (
    <html lang="en">
      <body>
        <MaintenanceBanner initial={maintenance} />
        {children}
        <Toasts />
      </body>
    </html>
  );
}
