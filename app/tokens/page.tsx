import { TokensPanel } from "@/components/tokens-panel";

export const metadata = { title: "API tokens · SomaAgent" };

export default function TokensPage() {
  return <TokensPanel />;
}
