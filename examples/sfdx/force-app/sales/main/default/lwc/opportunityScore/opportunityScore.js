import { LightningElement, api, wire } from 'lwc';
import score from '@salesforce/apex/OpportunityScoring.score';

export default class OpportunityScore extends LightningElement {
    @api recordId;
    @wire(score, { opportunityId: '$recordId' }) score;
}
