export async function failoverOutage(_argv: string[]): Promise<void> {
    throw new Error("not written yet");
}
