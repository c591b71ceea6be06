import { MemoriesPanel } from "@/components/memories-panel";

export const metadata = { title: "Memories · SomaAgent" };

export default function MemoriesPage() {
  return <MemoriesPanel />;
}
