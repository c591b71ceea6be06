import { AuditPanel } from "@/components/audit-panel";

export const metadata = { title: "Audit log · SomaAgent" };

export default function AuditPage() {
  return <AuditPanel />;
}
