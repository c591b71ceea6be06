import { LoginForm } from "@/components/login-form";

export const metadata = { title: "Sign in · SomaAgent" };

export default function LoginPage() {
  return <LoginForm />;
}
