export async function crashOutage(_argv: string[]): Promise<void> {
    throw new Error("not written yet");
}
