import { SchedulesPanel } from "@/components/schedules/schedules-panel";

export const metadata = { title: "Schedules · SomaAgent" };

export default function SchedulesPage() {
  return <SchedulesPanel />;
}
