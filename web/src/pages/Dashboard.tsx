// Placeholder: the dashboard (charts of records, bytes, durations and failures per day).
export function DashboardPage() {
  return (
    <section>
      <h1>Dashboard</h1>
    </section>
  );
}
