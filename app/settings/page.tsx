import { ModelOverview } from "@/components/model-overview";

export const metadata = { title: "Settings · SomaAgent" };

export default function SettingsPage() {
  return <ModelOverview />;
}
