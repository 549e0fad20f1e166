/** Sum of squared samples: the energy of a frame of int16 PCM. */
export function energy(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return sum;
}
